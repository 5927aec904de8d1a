"""The exam room: a live console for every seat over MQTT (Qt-free; docs/room.md).

Seats keep working offline exactly as without a room; when the room network is there, the room is
run from one screen. The pieces, each in its own module:

- `config`: `room init` (room.json, the room's CA, the console key, the broker's files) and
  `load_room` for seats and console.
- `protocol`: topics, message shapes and size caps, signed commands and the seat's `CommandGuard`.
- `broker`: the embedded Mosquitto that `room serve` (and the console window) start.
- `seat`: `SeatLink` (network thread) and `RoomSeat` (the session's thread) — what `launch --room`
  and the simulator run.
- `console`: `RoomConsole`, the console's engine (watch, command, collect bundles).
- `view`: `RoomView`, the console's data: rows sorted by attention and the feed.
- `simulate`: headless seats with scripted candidates.

For the console window (Qt): make a `RoomConsole(room, secrets, collect=True)` after starting an
`EmbeddedBroker(room)`, show `console.view.rows()` in a table model refreshed on the GUI thread
(`view.listeners` are called on the network thread: hop with a queued signal), the feed from
`view.feed()`, and act with `console.send(action, seats, who=, reason=, ...)` then
`console.wait_acks(...)` off the GUI thread (or watch the feed's `ack` entries);
`console.acknowledge_hand(seat, who=)` clears a raised hand.
For the kiosk: see `seat.RoomSeat` (tick from a QTimer, `raise_hand()`, `announcements`,
`session.collected_by_room`).
"""

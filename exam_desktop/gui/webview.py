"""The locked web view that shows exam content.

Everything the page loads comes from the app's own scheme, ``exam://app/...``, served by
`ExamSchemeHandler` from files the app chose: the page shell (`assets/web`), MathJax (shipped with the
app), drawn figures and a bank's own images. `RequestBlocker` refuses every other request at the
profile and records it; `LockedPage` refuses navigation away from the shell, new windows and every
permission; `LockedWebView` has no context menu and no dev tools.

`register_exam_scheme()` must run before the QApplication exists (importing this module does it).
"""

from __future__ import annotations

import logging
import mimetypes
from collections import deque
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, Qt, QUrl, Signal
from PySide6.QtWebEngineCore import (
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineSettings,
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
    QWebEngineUrlRequestJob,
    QWebEngineUrlScheme,
    QWebEngineUrlSchemeHandler,
)
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QWidget

from exam_desktop.paths import WEB_DIR, mathjax_dir

log = logging.getLogger(__name__)

SCHEME = b"exam"
HOST = "app"
SHELL_URL = QUrl("exam://app/shell.html")

ALLOWED_SCHEMES = frozenset({"exam", "qrc", "data"})

_MIME_OVERRIDES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".html": "text/html",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
}


def register_exam_scheme() -> None:
    """Declare ``exam:`` to QtWebEngine; must happen before the QApplication is created."""
    if QWebEngineUrlScheme.schemeByName(SCHEME).name() == SCHEME:
        return
    scheme = QWebEngineUrlScheme(SCHEME)
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Host)
    scheme.setFlags(
        QWebEngineUrlScheme.Flag.SecureScheme
        | QWebEngineUrlScheme.Flag.LocalScheme
        | QWebEngineUrlScheme.Flag.LocalAccessAllowed
    )
    QWebEngineUrlScheme.registerScheme(scheme)


register_exam_scheme()


def _mime_type(path: str) -> bytes:
    suffix = Path(path).suffix.lower()
    mime = _MIME_OVERRIDES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    return mime.encode()


def _inside(folder: Path, relative: str) -> Path | None:
    """`folder/relative` if it stays inside `folder` and is a file, else None."""
    try:
        root = folder.resolve()
        target = (root / relative).resolve()
    except (OSError, ValueError):
        return None
    if root not in target.parents or not target.is_file():
        return None
    return target


class ExamSchemeHandler(QWebEngineUrlSchemeHandler):
    """Serves ``exam://app/<path>``: the shell, MathJax, and figures/images registered by the app."""

    file_served = Signal(str)  # the path just served, e.g. "/shell.js"

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._files: dict[str, Path] = {}  # "figure/<name>" / "image/<n>" -> file on disk
        self._generated: dict[str, bytes] = {}  # e.g. "highlight.css", made by the app at start
        self.served: list[str] = []

    def add_generated(self, name: str, data: bytes) -> str:
        """Serve `data` as ``exam://app/<name>``; returns that URL."""
        self._generated[name] = data
        return f"exam://{HOST}/{name}"

    def add_file(self, folder: str, name: str, path: Path) -> str:
        """Make one file reachable as ``exam://app/<folder>/<name>``; returns that URL."""
        key = f"{folder}/{name}"
        self._files[key] = Path(path)
        return f"exam://{HOST}/{key}"

    def resolve(self, path: str) -> Path | None:
        path = path.lstrip("/")
        if path in self._files:
            return self._files[path]
        if path.startswith("mathjax/"):
            return _inside(mathjax_dir(), path.removeprefix("mathjax/"))
        if "/" not in path:
            return _inside(WEB_DIR, path)
        return None

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:
        url = job.requestUrl()
        path = url.path().lstrip("/")
        data = self._generated.get(path) if url.host() == HOST else None
        if data is None:
            target = self.resolve(path) if url.host() == HOST else None
            if target is None:
                log.warning("no app content at %s", url.toString())
                job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
                return
            try:
                data = target.read_bytes()
            except OSError:
                log.exception("cannot read %s", target)
                job.fail(QWebEngineUrlRequestJob.Error.RequestFailed)
                return
        buffer = QBuffer(job)
        buffer.setData(QByteArray(data))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        job.reply(_mime_type(path), buffer)
        self.served.append(url.path())
        self.file_served.emit(url.path())  # after the reply: work done on it never holds the page back


class RequestBlocker(QWebEngineUrlRequestInterceptor):
    """Blocks every request that is not the app's own content; remembers what it blocked."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.blocked: list[str] = []

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:
        url = info.requestUrl()
        if url.scheme() in ALLOWED_SCHEMES:
            return
        self.blocked.append(url.toString())
        log.warning("blocked a request to %s", url.toString())
        info.block(True)


class LockedPage(QWebEnginePage):
    """A page that stays on the shell: no navigation, no new windows, no permissions."""

    def __init__(self, profile: QWebEngineProfile, parent: QObject | None = None):
        super().__init__(profile, parent)
        self.refused_navigations: list[str] = []
        self._shell_requested = False
        self.permissionRequested.connect(lambda permission: permission.deny())
        self.console_messages: deque[str] = deque(maxlen=200)  # the page's console, for bug reports

    def acceptNavigationRequest(self, url, navigation_type, is_main_frame) -> bool:
        if is_main_frame and url == SHELL_URL and not self._shell_requested:
            self._shell_requested = True  # the shell loads once; a reload would lose the page
            return True
        self.refused_navigations.append(url.toString())
        log.warning("refused navigation to %s", url.toString())
        return False

    def createWindow(self, window_type) -> None:  # type: ignore[override]
        log.warning("refused to open a new window")
        return None

    def javaScriptConsoleMessage(self, level, message, line, source) -> None:
        self.console_messages.append(message)
        log.info("page: %s (%s:%s)", message, source, line)


def locked_profile() -> tuple[QWebEngineProfile, ExamSchemeHandler, RequestBlocker]:
    """An off-the-record profile that serves ``exam:`` and blocks everything else."""
    profile = QWebEngineProfile()  # no storage name: off the record, nothing on disk
    profile.setHttpCacheType(QWebEngineProfile.HttpCacheType.MemoryHttpCache)
    profile.setPersistentCookiesPolicy(QWebEngineProfile.PersistentCookiesPolicy.NoPersistentCookies)
    profile.setSpellCheckEnabled(False)
    handler = ExamSchemeHandler(profile)
    profile.installUrlSchemeHandler(SCHEME, handler)
    blocker = RequestBlocker(profile)
    profile.setUrlRequestInterceptor(blocker)
    settings = profile.settings()
    A = QWebEngineSettings.WebAttribute
    for attribute, on in (
        (A.JavascriptEnabled, True),
        (A.JavascriptCanOpenWindows, False),
        (A.JavascriptCanAccessClipboard, False),
        (A.JavascriptCanPaste, False),
        (A.LocalContentCanAccessRemoteUrls, False),
        (A.LocalContentCanAccessFileUrls, False),
        (A.LocalStorageEnabled, False),
        (A.PluginsEnabled, False),
        (A.PdfViewerEnabled, False),
        (A.FullScreenSupportEnabled, False),
        (A.ScreenCaptureEnabled, False),
        (A.WebGLEnabled, False),
        (A.HyperlinkAuditingEnabled, False),
        (A.DnsPrefetchEnabled, False),
        (A.NavigateOnDropEnabled, False),
        (A.ErrorPageEnabled, False),
        (A.AllowRunningInsecureContent, False),
    ):
        settings.setAttribute(attribute, on)
    return profile, handler, blocker


class LockedWebView(QWebEngineView):
    """The exam's one web view: locked profile and page, no context menu, no dev tools."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.profile, self.scheme_handler, self.blocker = locked_profile()
        self.locked_page = LockedPage(self.profile, self)
        self.profile.setParent(self.locked_page)  # the page goes first, then its profile
        self.setPage(self.locked_page)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self.setAcceptDrops(False)

    def createWindow(self, window_type) -> None:  # type: ignore[override]
        return None

    def load_shell(self) -> None:
        self.setUrl(SHELL_URL)

"""A small exam with every kind of question, and scripted candidate answers, for grader tests.

(Not a conftest.py: tests import it by name, and a second conftest module would shadow the suite's.)"""

from __future__ import annotations

import json
import random
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from exam_desktop import paths
from exam_desktop.core.bank import parse_bank
from exam_desktop.core.model import Exam
from exam_desktop.core.responses import Response
from exam_desktop.core.sealed.keys import (
    OFFICE_PUBLIC_KEY_NAME,
    ScryptParams,
    b64,
    canonical_json,
    write_private_file,
)
from exam_desktop.core.sealed.package import GraderKey, build_package
from exam_desktop.grading.simulate import simulated_bundle

GRADING_BANK = r"""---
id: grading-sample
title: Deep Learning — grading sample
duration: 1h
dont-know: yes
dont-know-score: 0.25
field: name | Full name
field: email | Email
---
Answer every question.

# Warm-up

## Vanishing gradients {#vanish multiple points=3 select=6 scoring=per-option right=1/6 wrong=-1/6 floor=0 tags=training}
Six and only six are correct; extra marks count as errors.

- [x] The activation functions used for neurons
- [x] The output values of neurons during training
- [x] The distribution of the weights during training
- [x] The initialization of the weights
- [x] The depth of the network
- [ ] The balance of classes
- [ ] The gradient descent algorithm used
- [x] The average gradient norm during training
- [ ] The value of the learning rate
- [ ] Whether the model contains Convolutional layers
- [ ] Whether the model contains Recurrent Layers
- [ ] The loss function used

## Mini-batches {#minibatch single points=1 tags=training}
How many mini-batches of size 64 for $m$ examples?

- [ ] `np.floor(m/64)`
- [x] `np.ceil(m/64)`
- [ ] `np.floor(n/64)`

### Explanation
`np.ceil` keeps the last, smaller batch.

## Max pooling {#maxpool truefalse points=1 tags=cnn}
To backpropagate through a max-pool layer, the positions of the max values are required.

answer: true

# Numbers

## Parameters of an MLP {#mlp numeric points=2 tags=mlp}
Input 20, two hidden layers of 50, output 5, biases everywhere: how many parameters?

answer: 3855
answer: 3800 ± 100 {weight=50%}

## Learning rate {#lr numeric points=1 tags=training}
A learning rate of 0.5 within 0.01.

answer: 0.5 ± 0.01

## ReLU backprop {#relu matrix points=3 tags=cnn}
Gradient after the ReLU?

```answer
5 0 1
2 3 0
0 -3 4
```

# Words

## model.summary() {#summary template points=2 tags=cnn}
Fill in the output shape and the formula.

```template
conv1 (Conv2D)   [[shape]]   [[formula]]
```

blank shape: (None, 128, 256, 16)
blank formula: manual

### Rubric
The formula is $5 \times 5 \times 3 \times 16 + 16$.

## Optimiser {#hpo short points=1 tags=training}
Which hyperparameter optimisation technique fits best?

answer: Bayesian optimi*ation

## GANs {#gans essay points=2 max-words=200 tags=generative}
What are GANs? Briefly describe their training process.

### Rubric
- 1 pt: generator vs discriminator, adversarial game.
- 1 pt: alternating updates; the minimax objective.
"""

SIX_RIGHT = ["a", "b", "c", "d", "e", "h"]  # option ids follow the letters a, b, c, ...
RELU = [["5", "0", "1"], ["2", "3", "0"], ["0", "-3", "4"]]


def answers(**values) -> dict[str, Response]:
    """Responses by question id; `dont_know=[...]` lists questions answered "I don't know yet"."""
    dont_know = values.pop("dont_know", [])
    out = {qid: Response(qid, value) for qid, value in values.items()}
    out.update({qid: Response(qid, None, dont_know=True) for qid in dont_know})
    return out


# A full-marks candidate (essay and the manual blank still to grade by hand).
PERFECT = {
    "vanish": SIX_RIGHT,
    "minibatch": "b",
    "maxpool": True,
    "mlp": "3855",
    "lr": "0.5",
    "relu": RELU,
    "summary": {"shape": "(None, 128, 256, 16)", "formula": "5*5*3*16+16"},
    "hpo": "Bayesian optimization",
    "gans": "Two networks play a minimax game.",
}


@cache
def sample_exam() -> Exam:
    return parse_bank(GRADING_BANK, "grading-sample.md")


def install_office(office: Ed25519PrivateKey) -> None:
    """Trust `office` on this machine, as a grader does with `exam-desktop keys install`."""
    target = paths.data_dir() / OFFICE_PUBLIC_KEY_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(
        office.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def write_key(
    folder: Path, exam: Exam | None = None, office: Ed25519PrivateKey | None = None, *, install: bool = True
) -> Path:
    """Build a package for `exam` (the sample by default) and write its grader key file; the office
    key that signed it is installed on this machine unless `install=False`."""
    office = office or Ed25519PrivateKey.generate()
    if install:
        install_office(office)
    built = build_package(
        exam or sample_exam(),
        office,
        kdf=ScryptParams(n=2**10),
        draw_figures=False,
    )
    path = Path(folder) / "exam.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_private_file(path, built.key_file_bytes)  # as `build` writes it


def write_bundle_file(
    key: GraderKey, folder: Path, email: str, responses: dict[str, Response], seed: int = 1
) -> Path:
    """A signed bundle of one candidate, as the candidate window writes it."""
    candidate = {"name": email.split("@")[0].title(), "email": email}
    data = simulated_bundle(key, candidate, responses, random.Random(seed))
    path = Path(folder) / f"{email.split('@')[0]}-{seed}.bundle"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def corrected_key(key_path: Path, office: Ed25519PrivateKey, fix, name: str = "fixed.key") -> Path:
    """The key file of the same package with `fix(exam_dict)` applied, signed again by the office."""
    raw = json.loads(key_path.read_bytes())
    raw.pop("signature")
    fix(raw["exam"])
    raw["signature"] = b64(office.sign(canonical_json(raw)))
    return write_private_file(key_path.with_name(name), canonical_json(raw))

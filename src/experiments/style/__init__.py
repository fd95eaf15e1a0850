"""Neural style transfer (Gatys, Ecker and Bethge 2016) as an experiment: the data (a content
photo and a style image, `StyleImages`), the feature networks (VGG-19 with random or ImageNet
weights, or a CNN this framework trained), the losses, the task whose parameter is the image
(`StyleTransfer`), the model kind (`experiments.style.kind.StyleKind`) and the contact sheet
at the end of a sweep (`ContactSheet`).

May import `config`, `io`, `data`, `models`, `tasks`, `runs` and `kinds` (the interface it
implements); `experiments.kinds` names its kind by import path.
"""

from experiments.style.data import StyleImages, StyleShapes
from experiments.style.features import FeatureNetwork, build_features
from experiments.style.sheet import ContactSheet, contact_sheet
from experiments.style.task import StyleTransfer

__all__ = [
    "ContactSheet",
    "FeatureNetwork",
    "StyleImages",
    "StyleShapes",
    "StyleTransfer",
    "build_features",
    "contact_sheet",
]

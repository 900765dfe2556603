"""DataInfo: what a model needs to know about its data to size its nets (a plain record, torch-free)."""

from __future__ import annotations

from dataclasses import dataclass, field

from translate.config import Direction


@dataclass
class DataInfo:
    kind: str  # "points" | "images" | "labeled" | "paired" | "unpaired"
    name: str = ""  # the data set's name, or the folder's name (never a machine's absolute path)
    dim: int = 0  # points: coordinates per sample
    channels: int = 0  # images; for translation, the input side "A"
    out_channels: int = 0  # translation: the output side "B"
    image_size: int = 0  # the side of a training example (translation: the crop), 0 when it varies
    # translation: the side whole photos were resized to before the crop (resize_and_crop), the scale at which
    # the net learned its domains; 0 when photos keep their own scale (scale_width, crop, none)
    load_size: int = 0
    class_names: list[str] = field(default_factory=list)
    direction: Direction = "AtoB"  # translation: which way the model learns ("BtoA": the data's B side is its input)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

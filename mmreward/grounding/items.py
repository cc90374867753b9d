"""The grounded-reward item, shared by the HTTP route, the in-process client and recipes."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt

GroundingTask = Literal["hallucination", "count", "grounding"]


class GroundingParams(BaseModel):
    """How to read the response's boxes and how the detector should look at the image."""

    model_config = ConfigDict(extra="forbid")

    box_format: Literal["auto", "pixel", "normalized", "normalized_1000"] = Field(
        "auto",
        description="pixel: pixels of the image the model saw; normalized: 0-1; "
        "normalized_1000: 0-1000 (Qwen-VL style); auto: normalized when every coordinate of "
        "every answered box is within [0, 1], else pixel",
    )
    model_input_size: tuple[PositiveInt, PositiveInt] | None = Field(
        None,
        description="(width, height) the image was resized to for the model; pixel boxes are "
        "rescaled from it to the original image, as VLM-R1 does",
    )
    mode: Literal["auto", "best", "matched"] = Field(
        "auto",
        description="best: IoU of the first box with the best target (VLM-R1); matched: "
        "Visual-RFT matched IoU over all boxes; auto: best for one box, matched for several",
    )
    unverifiable: Literal["unconfirmed", "ignore"] = Field(
        "unconfirmed",
        description="hallucination task: claims about objects the detector cannot see (outside "
        "its classes) count as unconfirmed claims (earn nothing), or are left out of the reward "
        "(ignore); either way they are listed in details.unverifiable",
    )
    conf: float | None = Field(None, ge=0.0, le=1.0, description="detector confidence threshold")
    iou: float | None = Field(None, gt=0.0, le=1.0, description="detector NMS IoU threshold")


class GroundingItem(BaseModel):
    """One response about one image."""

    model_config = ConfigDict(extra="forbid")

    image: str = Field(
        description="base64 PNG or JPEG (a data:image/...;base64, prefix is fine); "
        "URLs are never fetched"
    )
    response: str = Field(description="the model's response; text in <answer> is preferred")
    question: str | None = Field(None, description="names the class to count or locate")
    task: GroundingTask = "hallucination"
    reference: Any = Field(
        None,
        description="optional ground truth instead of the detector: a count, {label: count}, "
        "boxes, or objects {label, box, colour}; boxes in original-image pixels",
    )
    params: GroundingParams = Field(default_factory=GroundingParams)

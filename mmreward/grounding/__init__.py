"""Detection-grounded rewards: is what the response says about the image what a detector sees?

`GroundingScorer` (in `scorer`) is the engine component; `YoloDetector` (in `detector`) wraps any
local ultralytics checkpoint. Importing this package loads neither torch nor ultralytics.
"""

"""Where the benchmark finds the repository's files: configs and the sample
images are read from the checkout (this package lives in ghost_mm/benchmark/,
two levels below the repository root)."""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CALIBRATION = os.path.join(ROOT, 'samples/coco/val2017')

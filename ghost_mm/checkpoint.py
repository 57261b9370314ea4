"""Moved to :mod:`ghost_mm.weights`; this name stays importable for code
written against it (``from ghost_mm.checkpoint import runner_checkpoint_globals``)."""
from .weights.convert import *  # noqa: F401,F403
from .weights.ghostnet_files import *  # noqa: F401,F403
from .weights.mmpretrain import *  # noqa: F401,F403
from .weights.safe_load import *  # noqa: F401,F403

"""mmdet 3.3's ``SSDHead`` with the predict step that works.

mmdet 3.3's ``BaseDenseHead._predict_by_feat_single`` reads
``self.loss_cls`` (for v3det's custom class channels), which ``SSDHead``
never sets: it skips ``AnchorHead.__init__`` and computes its own
cross-entropy. So every SSD/SSDLite config of mmdet 3.3 trains but fails at
validation, testing and inference with ``'SSDHead' object has no attribute
'loss_cls'`` (open-mmlab/mmdetection#11063, #11780; the fix of PR #11524 was
never merged). ``SSDHeadFixed`` is that head with the attribute answered:
no classification-loss module, so scores are the softmax over the classes
exactly as mmdet's branch for ``use_sigmoid_cls=False`` computes them.

Registered in mmdet's ``MODELS`` as soon as ``mmdet.models`` is loaded after
``import ghost_mm`` (``custom_imports=dict(imports=['ghost_mm'])``).
"""
from mmdet.models.dense_heads import SSDHead
from mmdet.registry import MODELS


@MODELS.register_module(force=True)
class SSDHeadFixed(SSDHead):
    """``SSDHead`` (same arguments, same weights and keys) whose ``predict``
    runs on mmdet 3.3."""

    # read by BaseDenseHead._predict_by_feat_single; SSD's loss is its own
    # cross-entropy, not a module (getattr(None, ..., False) is False)
    loss_cls = None

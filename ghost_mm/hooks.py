"""A picture of the training curves, written to the work dir when training ends."""
import os.path as osp

from mmengine.dist import master_only
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class TrainingCurveHook(Hook):
    """Plot the training loss per iteration and every scalar validation
    metric (e.g. ``coco/bbox_mAP``, ``mIoU``) to ``work_dir/filename``."""

    priority = 'VERY_LOW'

    def __init__(self, filename='training_curves.png'):
        self.filename = filename
        self.losses = []
        self.metrics = {}

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if outputs and 'loss' in outputs:
            self.losses.append((runner.iter + 1, float(outputs['loss'].detach())))

    def after_val_epoch(self, runner, metrics=None):
        for name, value in (metrics or {}).items():
            # COCO reports -1 for "no objects of this size": nothing to plot
            if isinstance(value, (int, float)) and value >= 0:
                self.metrics.setdefault(name, []).append((runner.iter, float(value)))

    @master_only
    def after_run(self, runner):
        if not self.losses:
            return
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
        panels = 1 + bool(self.metrics)
        fig, axes = plt.subplots(1, panels, figsize=(6 * panels, 4), squeeze=False)
        iters, losses = zip(*self.losses)
        axes[0][0].plot(iters, losses)
        axes[0][0].set(xlabel='iteration', ylabel='loss', title='training loss')
        if self.metrics:
            for name, points in self.metrics.items():
                axes[0][1].plot(*zip(*points), marker='o', label=name)
            axes[0][1].set(xlabel='iteration', title='validation')
            axes[0][1].legend(fontsize='small')
        fig.tight_layout()
        path = osp.join(runner.work_dir, self.filename)
        fig.savefig(path, dpi=80)
        plt.close(fig)
        runner.logger.info(f'training curves written to {path}')

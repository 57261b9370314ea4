"""Image loading that can skip bad files of a big dataset instead of stopping."""
from mmcv.transforms import LoadImageFromFile
from mmengine.logging import print_log
from mmengine.registry import TRANSFORMS


@TRANSFORMS.register_module()
class SkippingLoadImageFromFile(LoadImageFromFile):
    """mmcv's ``LoadImageFromFile``, but a missing or undecodable image is
    logged as a warning naming the file and its sample is skipped (the dataset
    then draws another one). Use it in place of ``LoadImageFromFile`` when a
    few broken files should not stop a long run::

        train_pipeline = [dict(type='SkippingLoadImageFromFile'), ...]
    """

    def transform(self, results):
        try:
            loaded = super().transform(results)
        except (OSError, AssertionError, ValueError) as err:
            loaded, reason = None, f'{type(err).__name__}: {err}'
        else:
            reason = 'it could not be decoded'
        if loaded is None:
            print_log(f'skipped image {results["img_path"]}: {reason}',
                      logger='current', level=30)
        return loaded

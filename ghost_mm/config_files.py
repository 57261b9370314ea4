"""A config named as the mm tools name it: a file, or a packaged config
(``mmdet::retinanet/retinanet_r50_fpn_1x_coco.py``, ``mmseg::...``,
``mmpretrain::...``) read with mmengine's own ``mmengine.hub.get_config``."""
import os.path as osp


def is_packaged(name):
    return '::' in str(name)


def read_config(name):
    """The :class:`mmengine.config.Config` of ``name`` (a file or a packaged config)."""
    from mmengine.config import Config
    name = str(name)
    if is_packaged(name):
        from mmengine.hub import get_config
        scope = name.split('::', 1)[0]
        try:
            return get_config(name)
        except (FileNotFoundError, ImportError, KeyError) as err:
            raise FileNotFoundError(f'{name}: no such packaged config of {scope} '
                                    f'(is {scope} installed, and the path right?): {err}') from err
    if not osp.isfile(name):
        raise FileNotFoundError(f'config not found: {name} (a config file, or a packaged '
                                f'config such as mmdet::retinanet/retinanet_r50_fpn_1x_coco.py)')
    return Config.fromfile(name)

"""What deploying buys, shown on the demo's own checkpoint (``make demo``'s
last step, ``tools/deploy_demo.py``): the trained detector as mmdet runs it
(eager PyTorch, ``inference_detector``) beside its OpenVINO artifacts in fp32
and INT8 (``tools/deploy.py``), each timed per image and scored with the same
COCO evaluation on the same images."""
import os.path as osp
import statistics
import time

from .runtime.infer import collect_images
from .runtime.predictor import Detections
from .runtime.preprocess import read_image
from .runtime.results import coco_bbox_map, coco_results

EAGER = 'PyTorch eager (mmdet inference_detector)'
ARTIFACTS = {'OpenVINO fp32': dict(backend='openvino', int8=False),
             'OpenVINO INT8': dict(backend='openvino', int8=True)}


def _images(folder):
    """{file name: BGR image} of the images in ``folder`` (the runtime's reader)."""
    return {osp.basename(path): read_image(path) for path in collect_images([folder])}


def _eager_predictor(config, checkpoint):
    from mmdet.apis import inference_detector, init_detector

    from .weights.safe_load import runner_checkpoint_globals
    with runner_checkpoint_globals():
        model = init_detector(config, checkpoint, device='cpu',
                              cfg_options={'model.backbone.init_cfg': None})

    def predict(image):
        result = inference_detector(model, image).pred_instances
        return Detections(result.bboxes.numpy(), result.scores.numpy(), result.labels.numpy())
    return predict, tuple(model.dataset_meta['classes'])


def _row(predict, images, ann_file, classes, rounds):
    """Median ms per image over ``rounds`` passes (after one warm-up pass) and
    the bbox mAP of the last pass."""
    for image in images.values():
        predict(image)
    times, per_image = [], {}
    for _ in range(rounds):
        for name, image in images.items():
            start = time.perf_counter()
            per_image[name] = predict(image)
            times.append(time.perf_counter() - start)
    results, image_ids = coco_results(per_image, ann_file, classes)
    _, metrics = coco_bbox_map(ann_file, results, image_ids)
    return {'ms_per_image': 1e3 * statistics.median(times), 'bbox_mAP': metrics['coco/bbox_mAP']}


def compare_deployed(config, checkpoint, out_dir, images_dir, ann_file, calib_dir,
                     threads=2, rounds=3, log=print):
    """Deploy ``checkpoint`` to OpenVINO fp32 and INT8 under ``out_dir``, time
    and score it beside eager PyTorch on ``images_dir`` (``ann_file``'s
    images); print and return the table's rows."""
    import torch

    from .export.deployable import export_deployable
    from .runtime import DeployedModel
    torch.set_num_threads(threads)
    images = _images(images_dir)
    eager, classes = _eager_predictor(config, checkpoint)
    rows = {EAGER: _row(eager, images, ann_file, classes, rounds)}
    for name, how in ARTIFACTS.items():
        folder = osp.join(out_dir, name.split()[-1].lower())
        export_deployable(config, checkpoint, folder, how['backend'], how['int8'],
                          calib_dir if how['int8'] else None,
                          cfg_options={'model.backbone.init_cfg': None}, log=lambda *_: None)
        model = DeployedModel(folder, threads)
        rows[name] = _row(model.predict, images, ann_file, model.classes, rounds)
        rows[name]['artifact'] = folder
    log(deployed_table(rows, threads, len(images)))
    return rows


def deployed_table(rows, threads, count):
    eager = rows[EAGER]['ms_per_image']
    lines = [f'{count} images, {threads} threads, image array in, boxes out:',
             f'{"":44s} {"ms/image":>9s} {"speed":>7s} {"bbox mAP":>9s}']
    for name, row in rows.items():
        lines.append(f'{name:44s} {row["ms_per_image"]:9.1f} '
                     f'{eager / row["ms_per_image"]:6.1f}x {row["bbox_mAP"]:9.3f}')
    return '\n'.join(lines)

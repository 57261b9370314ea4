"""Draw a model's predictions on images with mmdet's / mmseg's own inference
API and visualizer (boxes and class names, or the segmentation overlaid)."""
import os
import os.path as osp
import uuid

import mmcv

from .config_files import read_config
from .weights.safe_load import runner_checkpoint_globals


def _load_image(path):
    """The image as BGR, the order mmdet's/mmseg's pipelines read files in."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'image not found: {path}')
    try:
        image = mmcv.imread(path)
    except Exception as err:  # mmcv raises several kinds for bad files
        raise ValueError(f'{path} could not be decoded as an image: {err}') from err
    if image is None:
        raise ValueError(f'{path} could not be decoded as an image')
    return image


def _model_and_visualizer(config, checkpoint, device):
    """The toolbox's model (weights from ``checkpoint``), its visualizer, its
    inference function, and its scope (mmdet or mmseg)."""
    cfg = read_config(config)
    scope = cfg.get('default_scope', 'mmdet')
    if scope == 'mmseg':
        from mmseg.apis import inference_model as inference, init_model as init
        from mmseg.registry import VISUALIZERS
    else:
        from mmdet.apis import inference_detector as inference, init_detector as init
        from mmdet.registry import VISUALIZERS
    if cfg.model.get('backbone', {}).get('init_cfg'):
        cfg.model.backbone.init_cfg = None  # the checkpoint holds the weights
    with runner_checkpoint_globals():
        model = init(cfg, checkpoint, device=device)
    # visualizers are named singletons: a fresh name per call; no storage
    # backends (the config's LocalVisBackend warns without a save_dir, and the
    # pictures are written to out_file)
    visualizer = VISUALIZERS.build({**cfg.visualizer, 'name': f'demo-{uuid.uuid4().hex}',
                                    'vis_backends': None})
    visualizer.dataset_meta = model.dataset_meta
    return model, visualizer, inference, scope


def draw_predictions(config, checkpoint, images, out_dir, score_thr=0.3, device='cpu',
                     log=print):
    """Run the model of ``config`` + ``checkpoint`` on ``images`` and write
    one picture per image into ``out_dir``, named as the input (its file name
    and format, so that ``a.jpg`` and ``a.png`` do not overwrite each other);
    says which images got no box scoring ``score_thr``. Returns the written
    paths."""
    names = [osp.basename(p) for p in images]
    if len(set(names)) != len(names):
        raise ValueError('two images share a file name, and pictures are named after the '
                         'input files: draw them into different --out-dir folders')
    model, visualizer, inference, scope = _model_and_visualizer(config, checkpoint, device)
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for path in images:
        image = _load_image(path)  # decoded once: the model and the picture share it
        result = inference(model, image)
        out_file = osp.join(out_dir, osp.basename(path))
        extra = {} if scope == 'mmseg' else {'pred_score_thr': score_thr}
        if scope != 'mmseg' and not (result.pred_instances.scores >= score_thr).any():
            log(f'{osp.basename(path)}: no box scores {score_thr} or more')
        visualizer.add_datasample(osp.basename(path), mmcv.bgr2rgb(image), data_sample=result,
                                  draw_gt=False, show=False, out_file=out_file, **extra)
        written.append(out_file)
    return written


def draw_video(config, checkpoint, video, out_dir, score_thr=0.3, device='cpu', log=print):
    """As mmdet's ``demo/video_demo.py``: every frame of ``video`` through the
    model and its visualizer, written to ``out_dir/<video's name>`` at the
    same size and frame rate (closed cleanly on Ctrl-C). Returns its path."""
    from .runtime.video import open_video, output_path, video_writer
    capture, fps, size = open_video(video)
    model, visualizer, inference, scope = _model_and_visualizer(config, checkpoint, device)
    out_file = output_path(out_dir, osp.basename(video))
    extra = {} if scope == 'mmseg' else {'pred_score_thr': score_thr}
    frames = 0
    try:
        with video_writer(out_file, fps, size) as writer:
            while True:
                ok, frame = capture.read()
                if not ok:
                    break
                visualizer.add_datasample('video', mmcv.bgr2rgb(frame),
                                          data_sample=inference(model, frame), draw_gt=False,
                                          show=False, **extra)
                writer.write(mmcv.rgb2bgr(visualizer.get_image()))
                frames += 1
    except KeyboardInterrupt:
        log(f'stopped after {frames} frames')
    finally:
        capture.release()
    log(f'{frames} frames -> {out_file}')
    return out_file

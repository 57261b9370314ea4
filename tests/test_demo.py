"""tools/demo.py's function: pictures named as their inputs (no clash between
a.jpg and a.png), a word for images without a box, no storage-backend warning."""
import math
import os
import shutil
import warnings

import cv2
import numpy as np

from conftest import RETINANET
from helpers import read_video
from ghost_mm.inference import _model_and_visualizer, draw_predictions


def top_score(checkpoint, image):
    """The best box score mmdet's ``inference_detector`` gives ``image`` (a
    path or a BGR array) with the trained RetinaNet quick start."""
    model, _, inference, _ = _model_and_visualizer(RETINANET, checkpoint, 'cpu')
    scores = inference(model, image if isinstance(image, np.ndarray)
                       else str(image)).pred_instances.scores
    return float(scores.max()) if len(scores) else 0.0


def test_demo_keeps_names_and_says_when_no_box(repo_root, tmp_path, trained):
    inputs = tmp_path / 'in'
    inputs.mkdir()
    shutil.copy('samples/coco/train2017/000000172123.jpg', inputs / 'a.jpg')  # an apple
    cv2.imwrite(str(inputs / 'a.png'), np.full((240, 320, 3), 127, np.uint8))  # nothing
    # a threshold between the two images' best scores, as this training gave them
    # (a short training's scores move from run to run; the order does not)
    apple, grey = (top_score(trained(RETINANET), inputs / name) for name in ('a.jpg', 'a.png'))
    assert grey < apple
    thr = (grey + apple) / 2
    messages = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        written = draw_predictions(RETINANET, trained(RETINANET),
                                   [str(inputs / 'a.jpg'), str(inputs / 'a.png')],
                                   str(tmp_path / 'out'), score_thr=thr, log=messages.append)
    assert sorted(os.path.basename(p) for p in written) == ['a.jpg', 'a.png']
    for path in written:
        assert cv2.imread(path).shape == cv2.imread(str(inputs / os.path.basename(path))).shape
    assert messages == [f'a.png: no box scores {thr} or more']
    assert not [w for w in caught if 'LocalVisBackend' in str(w.message)]


def test_deploy_demo_compares_the_artifacts_with_eager(repo_root, tmp_path, trained):
    """make demo's last step: OpenVINO fp32 and INT8 artifacts of the trained
    quick start, timed and scored beside eager PyTorch on the same images."""
    from ghost_mm.deploy_demo import ARTIFACTS, EAGER, compare_deployed
    messages = []
    rows = compare_deployed(RETINANET, trained(RETINANET), str(tmp_path / 'deploy'),
                            'samples/coco/train2017',
                            'samples/coco/annotations/instances_train2017.json',
                            'samples/coco/val2017', rounds=1, log=messages.append)
    assert list(rows) == [EAGER, *ARTIFACTS]
    assert rows[EAGER]['bbox_mAP'] > 0.3  # the trained quick start
    # the fp32 artifact gives mmdet's answers; INT8 keeps most of them
    assert abs(rows['OpenVINO fp32']['bbox_mAP'] - rows[EAGER]['bbox_mAP']) <= 0.01
    assert rows['OpenVINO INT8']['bbox_mAP'] > 0.5 * rows[EAGER]['bbox_mAP']
    for name in ARTIFACTS:
        assert os.path.isfile(os.path.join(rows[name]['artifact'], 'deploy.json'))
        assert rows[name]['ms_per_image'] > 0
    assert len(messages) == 1 and all(name in messages[0] for name in rows)


def test_demo_draws_a_video_as_mmdets_video_demo(repo_root, tmp_path, trained):
    """tools/demo.py CLIP: each frame through mmdet's inference and visualizer,
    written at the clip's size and frame rate."""
    from demo import main as demo_main
    clip = str(tmp_path / 'clip.avi')
    writer = cv2.VideoWriter(clip, cv2.VideoWriter_fourcc(*'MJPG'), 5, (320, 240))
    for name in sorted(os.listdir('samples/coco/train2017'))[:4]:
        writer.write(cv2.resize(cv2.imread(f'samples/coco/train2017/{name}'), (320, 240)))
    writer.release()
    original = cv2.VideoCapture(clip)
    ok, first = original.read()
    # the squeezed frames score lower than the photos: draw from just under the
    # first frame's best score, so that frame gets at least one box
    best = top_score(trained(RETINANET), first)
    assert ok and best >= 0.02
    demo_main([RETINANET, trained(RETINANET), clip, '--out-dir', str(tmp_path / 'out'),
               '--score-thr', str(math.floor(best * 100) / 100)])
    frames, fps = read_video(tmp_path / 'out' / 'clip.avi')
    assert len(frames) == 4 and frames[0].shape == (240, 320, 3)
    assert fps == 5
    # boxes drawn: the written frame is not the input frame (beyond JPEG noise)
    assert np.abs(frames[0].astype(int) - first.astype(int)).max() > 100
    assert not list((tmp_path / 'out').glob('*.partial*'))

"""Tracking: the MOT17-layout sample as mmdet's datasets read it, the
ByteTrack config (mmdet's recipe with a YOLOX-tiny-GhostNet detector), the
quick start training its detector and tracking the sample through
tools/test.py's function with mmdet's MOTChallengeMetric, and a missing
TrackEval / lap named before anything runs."""
import pytest

from conftest import MOT, on_sample_root
from ghost_mm.data.mot_sample import FRAME, OBJECTS
from ghost_mm.runner import MissingInputError, build_runner, load_config, run_test


def test_mot_sample_is_one_video_with_ids_kept_in_every_frame(repo_root, mot_sample):
    from mmdet.datasets import CocoDataset, MOTChallengeDataset
    video = MOTChallengeDataset(data_root=f'{mot_sample}/',
                                ann_file='annotations/train_cocoformat.json',
                                data_prefix=dict(img_path='train'), test_mode=True,
                                pipeline=[])
    assert len(video) == 1  # videos, each a list of frames
    frames = video.get_data_info(0)
    assert frames['video_length'] == 24
    previous = None
    for index, frame in enumerate(frames['images']):
        assert frame['frame_id'] == index
        assert frame['img_path'].endswith(f'train/ghost-01/img1/{index + 1:06d}.jpg')
        ids = sorted(o['instance_id'] for o in frame['instances'])
        assert ids == list(range(len(OBJECTS)))  # every object, same ids, every frame
        boxes = {o['instance_id']: o['bbox'] for o in frame['instances']}
        for box in boxes.values():
            assert 0 <= box[0] < box[2] <= FRAME[0] and 0 <= box[1] < box[3] <= FRAME[1]
        if previous:  # they move, a few pixels a frame
            moves = [abs(boxes[i][0] - previous[i][0]) for i in boxes]
            assert all(0 < m <= 12 for m in moves), moves
        previous = boxes
    images = CocoDataset(data_root=f'{mot_sample}/', ann_file='annotations/train_cocoformat.json',
                         data_prefix=dict(img='train/'), metainfo=dict(classes=('pedestrian',)),
                         pipeline=[])
    assert len(images) == 24 and len(images.get_data_info(0)['instances']) == len(OBJECTS)


def test_bytetrack_config_is_mmdets_recipe_with_a_ghostnet_detector(repo_root):
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    register_all_modules()
    cfg = load_config('configs/bytetrack_yolox-tiny_ghostnet_mot17.py')
    assert cfg.model.type == 'ByteTrack' and cfg.model.tracker.type == 'ByteTracker'
    detector = cfg.model.detector
    assert detector.type == 'YOLOX' and detector.backbone.type == 'GhostNet'
    assert detector.neck.in_channels == [40, 112, 160] and detector.neck.out_channels == 96
    assert detector.bbox_head.num_classes == 1 and detector.test_cfg.nms.iou_threshold == 0.7
    assert 'data_preprocessor' not in detector  # the tracker's does it, as in the recipe
    assert cfg.test_evaluator.type == 'MOTChallengeMetric'
    assert cfg.test_dataloader.dataset.ann_file == 'annotations/half-val_cocoformat.json'
    model = MODELS.build(cfg.model)
    assert type(model.detector.backbone).__name__ == 'GhostNet'


def test_missing_tracking_packages_are_named_before_anything_runs(repo_root, monkeypatch):
    # as mmdet leaves them when the import fails
    from mmdet.evaluation.metrics import mot_challenge_metric
    from mmdet.models.trackers import byte_tracker
    monkeypatch.setattr(mot_challenge_metric, 'trackeval', None)
    monkeypatch.setattr(byte_tracker, 'lap', None)
    from ghost_mm.data.checks import check_inputs
    with pytest.raises(MissingInputError) as err:
        check_inputs(load_config(MOT), check_pretrained=False)
    message = str(err.value)
    assert "ByteTracker needs the package 'lap'" in message
    assert "MOTChallengeMetric needs the package 'trackeval'" in message
    assert 'pip install "ghost_mm[track]"' in message


def test_bytetrack_quick_start_learns_to_detect_and_tracks_the_sample(repo_root, tmp_path,
                                                                      trained, mot_sample):
    options = on_sample_root(mot_sample)
    # no tracks at all: mmdet's InterpolateTracklets cannot take an empty list
    untrained = build_runner(load_config(
        MOT, {**options, 'test_evaluator.postprocess_tracklet_cfg': []}, str(tmp_path / 'before')))
    before = untrained.test()
    after = run_test(MOT, trained(MOT), work_dir=str(tmp_path / 'test'), cfg_options=options)
    keys = ('motchallenge-metric/HOTA', 'motchallenge-metric/MOTA', 'motchallenge-metric/IDF1')
    print('before', {k: before[k] for k in keys}, 'after', {k: after[k] for k in keys})
    assert before['motchallenge-metric/HOTA'] <= 0.05
    assert after['motchallenge-metric/HOTA'] >= 0.3
    assert after['motchallenge-metric/IDF1'] >= 0.3

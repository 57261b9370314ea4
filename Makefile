# `make demo` and `make test` install everything they need into .venv first.
# GHOST_MM_WHEEL_DIR: a folder with a prebuilt mmcv 2.1.0 wheel (else it is built once and cached).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.ghost_mm-installed

.PHONY: setup demo demo-seg test test-fast clean-venv

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile tools/install_mmcv.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# setuptools<81: mmcv's build and mmengine's `mmdet::` config lookup import pkg_resources
	$(BIN)/pip install --quiet "setuptools<81" wheel torch==2.14.1 torchvision==0.29.1
	bash tools/install_mmcv.sh $(VENV)
	$(BIN)/pip install --quiet -e ".[tests]" "setuptools<81"
	# last, without its pins: mmdeploy wants protobuf<=3.20.2, which onnx>=1.16 cannot
	# use (it runs with the newer one); its other needs come from the deploy extra
	$(BIN)/pip install --quiet --no-deps mmdeploy==1.3.1
	touch $(STAMP)

QUICKSTART := configs/quickstart/retinanet_ghostnet_coco-sample.py
QUICKSTART_DIR := work_dirs/quickstart

# train on the shipped COCO sample, evaluate bbox mAP, draw the detections,
# deploy to OpenVINO (fp32, INT8) and compare it with eager PyTorch
demo: $(STAMP)
	$(BIN)/python tools/train.py $(QUICKSTART) --work-dir $(QUICKSTART_DIR)
	$(BIN)/python tools/test.py $(QUICKSTART) $$(cat $(QUICKSTART_DIR)/last_checkpoint) \
		--work-dir $(QUICKSTART_DIR)/test --out $(QUICKSTART_DIR)/results/sample
	$(BIN)/python tools/demo.py $(QUICKSTART) $$(cat $(QUICKSTART_DIR)/last_checkpoint) \
		samples/coco/train2017/000000172123.jpg samples/coco/train2017/000000187334.jpg \
		--score-thr 0.5 --out-dir $(QUICKSTART_DIR)/demo
	$(BIN)/python tools/deploy_demo.py $(QUICKSTART) $$(cat $(QUICKSTART_DIR)/last_checkpoint) \
		--out-dir $(QUICKSTART_DIR)/deploy
	@echo "pictures (boxes scoring 0.5 or more): $(QUICKSTART_DIR)/demo/, curves: $(QUICKSTART_DIR)/training_curves.png, deployed: $(QUICKSTART_DIR)/deploy/"

SEG_QUICKSTART := configs/quickstart/deeplabv3_ghostnet_cityscapes-sample.py
SEG_DIR := work_dirs/quickstart_seg

# generate the Cityscapes-format sample, train DeepLabV3, report mIoU, draw predictions
demo-seg: $(STAMP)
	$(BIN)/python tools/make_cityscapes_sample.py data/cityscapes_sample
	$(BIN)/python tools/train.py $(SEG_QUICKSTART) --work-dir $(SEG_DIR)
	$(BIN)/python tools/test.py $(SEG_QUICKSTART) $$(cat $(SEG_DIR)/last_checkpoint) \
		--work-dir $(SEG_DIR)/test --show-dir $(SEG_DIR)/show
	$(BIN)/python tools/demo.py $(SEG_QUICKSTART) $$(cat $(SEG_DIR)/last_checkpoint) \
		data/cityscapes_sample/leftImg8bit/val/frankfurt/frankfurt_000000_000019_leftImg8bit.png \
		--out-dir $(SEG_DIR)/demo
	@echo "pictures: $(SEG_DIR)/demo/, $(SEG_DIR)/show/, curves: $(SEG_DIR)/training_curves.png"

# everything (CI runs this); the 15 slowest tests are listed at the end
test: $(STAMP)
	$(BIN)/python -m pytest -q --durations=15 tests

# every test that does not train, sweep or export a whole network: a few minutes
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow" tests

clean-venv:
	rm -rf $(VENV)

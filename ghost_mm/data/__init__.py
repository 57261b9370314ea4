"""Data in: pre-flight checks of a config's inputs (:mod:`.checks`), skipping
unreadable images (:mod:`.skipping`), and the sample makers behind the shipped
and generated samples (:mod:`.coco_sample`, :mod:`.cityscapes_sample`,
:mod:`.crops`)."""

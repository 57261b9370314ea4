"""GhostNet's architecture as data: the official table and the numbers read off it.

Imports nothing of ghost_mm (nor torch), so the backbone, the weight readers
and configs (``level_channels`` for neck/head ``in_channels``) all depend on
this table and never on each other.
"""


def make_divisible(value, divisor=4, min_value=None, round_limit=0.9):
    """Round ``value`` to the nearest multiple of ``divisor`` without losing more
    than 10% (the official ``_make_divisible``)."""
    min_value = min_value or divisor
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < round_limit * value:
        rounded += divisor
    return rounded


def se_channels(channels, se_ratio=0.25):
    """Width of the squeeze-excite gate's reduced layer."""
    return make_divisible(channels * se_ratio, 4)


# The official table, one list per block group.
# kernel: depthwise kernel, expand: hidden width, out: output width,
# se: squeeze-excite ratio (0 = none), stride: the group's first block stride.
GHOSTNET_V1_GROUPS = [
    # kernel, expand, out, se, stride
    [(3, 16, 16, 0, 1)],
    [(3, 48, 24, 0, 2)],
    [(3, 72, 24, 0, 1)],
    [(5, 72, 40, 0.25, 2)],
    [(5, 120, 40, 0.25, 1)],
    [(3, 240, 80, 0, 2)],
    [(3, 200, 80, 0, 1),
     (3, 184, 80, 0, 1),
     (3, 184, 80, 0, 1),
     (3, 480, 112, 0.25, 1),
     (3, 672, 112, 0.25, 1)],
    [(5, 672, 160, 0.25, 2)],
    [(5, 960, 160, 0, 1),
     (5, 960, 160, 0.25, 1),
     (5, 960, 160, 0, 1),
     (5, 960, 160, 0.25, 1)],
]
STEM_CHANNELS = 16
FINAL_CHANNELS = 960  # the 1x1 conv after the last group (level 5)
NUM_LEVELS = 6  # stem+group 0, four downsampling levels, the final 1x1 conv
NUM_DOWNSAMPLES = 5  # stem and the first group of levels 1-4
VERSIONS = ('v1', 'v2', 'v3')
# V2 and V3 gate the expanding Ghost module of every block from the third on
# (counting all 16 blocks) with DFC attention, as the official code and timm do.
DFC_FROM_BLOCK = 2


def level_channels(widen_factor=1.0, out_indices=tuple(range(NUM_LEVELS))):
    """Channels of the feature levels ``out_indices`` of GhostNet at this width,
    read off the table (for configs: neck/head ``in_channels``)."""
    widths = []
    for group in GHOSTNET_V1_GROUPS:
        if group[0][4] > 1 or not widths:  # a stride-2 group starts a new level
            widths.append(None)
        widths[-1] = group[-1][2]
    widths.append(FINAL_CHANNELS)
    return tuple(make_divisible(widths[i] * widen_factor, 4) for i in out_indices)


def level_lr_keys(lr_mults, prefix='backbone.'):
    """mmengine ``paramwise_cfg.custom_keys`` that give each of the six levels
    its own learning-rate multiplier: ``lr_mults[i]`` for level ``i`` (the
    stem counts to level 0), e.g. in a config
    ``optim_wrapper = dict(paramwise_cfg=dict(custom_keys=level_lr_keys([...])))``.
    The keys are module-name prefixes ending in a dot, so no key matches
    another level's parameters."""
    lr_mults = tuple(lr_mults)
    if len(lr_mults) != NUM_LEVELS:
        raise ValueError(f'lr_mults needs one multiplier per level (0-{NUM_LEVELS - 1}), '
                         f'got {len(lr_mults)}: {lr_mults!r}')
    keys = {f'{prefix}{name}.': dict(lr_mult=lr_mults[0]) for name in ('conv_stem', 'bn1')}
    level = 0
    for index, group in enumerate(GHOSTNET_V1_GROUPS):
        level += sum(row[4] > 1 for row in group)
        keys[f'{prefix}blocks.{index}.'] = dict(lr_mult=lr_mults[level])
    keys[f'{prefix}blocks.{len(GHOSTNET_V1_GROUPS)}.'] = dict(lr_mult=lr_mults[-1])  # final conv
    return keys

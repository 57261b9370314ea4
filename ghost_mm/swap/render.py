"""Rendering the swapped config: the ``diff`` on top of the source (its
``custom_imports`` and ``model``), the header that says in words what was
changed, and the config file's text, mmengine style."""
import textwrap


def _one_line(value):
    if isinstance(value, dict):
        return 'dict(' + ', '.join(f'{k}={_one_line(v)}' for k, v in value.items()) + ')'
    if isinstance(value, list):
        return '[' + ', '.join(_one_line(v) for v in value) + ']'
    if isinstance(value, tuple):
        inner = ', '.join(_one_line(v) for v in value)
        return f'({inner},)' if len(value) == 1 else f'({inner})'
    return repr(value)


def _format(value, indent=0, column=0, width=79):
    """Python source for a config value, mmengine style (``dict(key=...)``):
    on one line when it fits, else one entry per line, indented by 4."""
    flat = _one_line(value)
    if column + len(flat) <= width - 2 or not isinstance(value, (dict, list)):
        return flat
    pad = ' ' * (indent + 4)
    if isinstance(value, dict):
        items = [pad + f'{k}=' + _format(v, indent + 4, indent + 5 + len(k))
                 for k, v in value.items()]
        return 'dict(\n' + ',\n'.join(items) + ')'
    return '[\n' + ',\n'.join(pad + _format(v, indent + 4, indent + 4) for v in value) + ']'


def _render(base, diff, header):
    lines = ['# ' + wrapped for line in header
             for wrapped in textwrap.wrap(line, 77, subsequent_indent='  ')]
    lines += ['', f'_base_ = {base!r}', '']
    for key, value in diff.items():
        lines.append(f'{key} = {_format(value, 0, len(key) + 3)}')
    return '\n'.join(lines) + '\n'


def _config_diff(source, model_diff):
    """The written config's entries: ``custom_imports`` (the source's, and
    ``ghost_mm``) and ``model``."""
    diff = {}
    imports = (source.get('custom_imports') or {}).get('imports', [])
    imports = [imports] if isinstance(imports, str) else list(imports)  # a str is one module
    diff['custom_imports'] = dict(imports=imports + ['ghost_mm'] * ('ghost_mm' not in imports),
                                  allow_failed_imports=False)
    diff['model'] = model_diff
    return diff


def _header(src, title, notes, pretrained):
    """The written config's header lines: what it is, ``notes``, its weights."""
    header = [f'{src} with a {title} backbone '
              f'(written by tools/swap_backbone.py).'] + notes
    if pretrained:
        header.append(f'ImageNet weights: {pretrained} (tools/convert_checkpoint.py '
                      f'makes it from an official or timm checkpoint).')
    else:
        header.append('No ImageNet weights: the backbone starts from random init.')
    return header

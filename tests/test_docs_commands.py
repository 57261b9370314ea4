"""The commands the README, docs/ and the Makefile give name checkpoints that
their earlier steps really write."""
import glob
import os
import re

from conftest import REPO


def _makefile_variables(text):
    return dict(re.findall(r'^(\w+)\s*:=\s*(\S+)', text, flags=re.M))


def quickstart_work_dirs():
    """``{work_dir: config}`` of every ``tools/train.py CONFIG --work-dir DIR`` in
    the Makefile, variables resolved."""
    with open(os.path.join(REPO, 'Makefile')) as f:
        text = f.read()
    variables = _makefile_variables(text)

    def resolve(word):
        return re.sub(r'\$\((\w+)\)', lambda m: variables[m.group(1)], word)
    return {resolve(work_dir): resolve(config) for config, work_dir in re.findall(
        r'tools/train\.py (\S+) --work-dir (\S+)', text)}


def test_makefile_reads_the_checkpoint_training_wrote():
    with open(os.path.join(REPO, 'Makefile')) as f:
        text = f.read()
    assert quickstart_work_dirs(), 'the Makefile trains no quick start'
    # a typed iter_N.pth goes stale when a quick start's schedule changes
    assert not re.search(r'iter_\d+\.pth', text), \
        'the Makefile names a checkpoint by iteration; read DIR/last_checkpoint'
    assert 'last_checkpoint' in text


def test_documented_checkpoints_match_the_quick_starts():
    from ghost_mm.runner import load_config
    work_dirs = quickstart_work_dirs()
    documents = [os.path.join(REPO, 'README.md'),
                 *glob.glob(os.path.join(REPO, 'docs', '*.md'))]
    named = []
    for path in documents:
        with open(path) as f:
            for work_dir, iters in re.findall(r'(work_dirs/[\w-]+)/iter_(\d+)\.pth', f.read()):
                if work_dir in work_dirs:
                    named.append((os.path.relpath(path, REPO), work_dir, int(iters)))
    assert named, 'no document names a quick-start checkpoint (pattern changed?)'
    max_iters = {d: load_config(os.path.join(REPO, c)).train_cfg.max_iters
                 for d, c in work_dirs.items()}
    stale = [(doc, d, n, max_iters[d]) for doc, d, n in named if n != max_iters[d]]
    assert not stale, f'(document, work dir, named iteration, trained iterations): {stale}'


def _commands():
    """(document, command line) of every tools/X.py command in the README's
    and docs' code blocks and inline code, and in the Makefile's recipes
    (continuation lines joined)."""
    found = []
    documents = [os.path.join(REPO, 'README.md'), os.path.join(REPO, 'Makefile'),
                 *glob.glob(os.path.join(REPO, 'docs', '*.md'))]
    for path in documents:
        with open(path) as f:
            text = f.read().replace('\\\n', ' ')
        if path.endswith('.md'):
            blocks = re.findall(r'```(?:bash|sh)?\n(.*?)```', text, flags=re.S)
            lines = [line for block in blocks for line in block.splitlines()]
            lines += re.findall(r'`([^`\n]*tools/\w+\.py[^`\n]*)`', text)
        else:
            lines = text.splitlines()
        for line in lines:
            line = line.split('#')[0]
            if re.search(r'tools/\w+\.py', line):
                found.append((os.path.relpath(path, REPO), line.strip()))
    return found


# tools/X.py and the words after it, up to a shell separator
TOOL_AND_ARGUMENTS = re.compile(r'tools/(\w+)\.py((?:\s+[^\s;|&]+)*)')

# Each tool run as ``python tools/X.py --help`` would run it, all in one
# process (one import of torch and OpenMMLab instead of one per tool): prints
# {path: what --help printed} as the last line.
HELPS = '''
import contextlib, io, json, runpy, sys
helps = {}
for path in sys.argv[1:]:
    out, sys.argv = io.StringIO(), [path, '--help']
    with contextlib.redirect_stdout(out):
        try:
            runpy.run_path(path, run_name='__main__')
        except SystemExit:
            pass
    helps[path] = out.getvalue()
print(json.dumps(helps))
'''


def _helps(paths):
    import json
    import subprocess
    import sys
    run = subprocess.run([sys.executable, '-c', HELPS, *paths], cwd=REPO, capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout.splitlines()[-1])


def test_documented_commands_name_real_tools_and_flags():
    commands = _commands()
    assert len(commands) > 30, 'fewer commands than the docs hold (pattern changed?)'
    named = sorted({tool for _, line in commands
                    for tool, _ in TOOL_AND_ARGUMENTS.findall(line)})
    paths = {tool: os.path.join(REPO, 'tools', f'{tool}.py') for tool in named}
    helps = _helps([path for path in paths.values() if os.path.isfile(path)])
    problems = []
    for document, line in commands:
        for tool, rest in TOOL_AND_ARGUMENTS.findall(line):
            if not os.path.isfile(paths[tool]):
                problems.append(f'{document}: tools/{tool}.py does not exist: {line}')
                continue
            assert 'usage:' in helps[paths[tool]], f'tools/{tool}.py --help printed no usage'
            for flag in re.findall(r'(?<![\w-])(--[a-z][\w-]*)', rest):
                if not re.search(rf'{re.escape(flag)}\b', helps[paths[tool]]):
                    problems.append(f'{document}: tools/{tool}.py has no {flag}: {line}')
    assert not problems, '\n'.join(problems)

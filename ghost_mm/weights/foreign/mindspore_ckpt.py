"""MindSpore ``.ckpt`` files, read without MindSpore.

A MindSpore checkpoint is a series of protobuf ``Checkpoint`` messages
(``mindspore/train/checkpoint.proto``)::

    message Checkpoint { message Value { required string tag = 1;
                                         oneof value { TensorProto tensor = 2;
                                                       MapTensorProto maptensor = 3; } }
                         repeated Value value = 1; }
    message TensorProto { repeated int64 dims = 1; required string tensor_type = 2;
                          required bytes tensor_content = 3; }

concatenated (one per parameter, a parameter over 512 MB in several
consecutive slices with the same tag: the wire format merges them into one
message). The messages are built here from that definition with ``protobuf``
(no generated code); only tensors are read: data bytes become numpy arrays of
the named type, nothing is executed. Encrypted checkpoints and MindSpore's
``safetensors`` format are not read.
"""
import numpy as np

# MindSpore's tensor_type names (mindspore.train.serialization)
DTYPES = {'Int8': np.int8, 'UInt8': np.uint8, 'Int16': np.int16, 'UInt16': np.uint16,
          'Int32': np.int32, 'UInt32': np.uint32, 'Int64': np.int64, 'UInt64': np.uint64,
          'Float16': np.float16, 'Float32': np.float32, 'Float64': np.float64,
          'Bool': np.bool_}


class MindsporeCkptError(ValueError):
    """A file that is not a readable MindSpore checkpoint; the message says why."""


def _message_class():
    try:
        from google.protobuf import descriptor_pb2, descriptor_pool
    except ImportError:
        raise MindsporeCkptError('reading MindSpore .ckpt files needs the protobuf package: '
                                 'pip install protobuf') from None
    field = descriptor_pb2.FieldDescriptorProto
    proto = descriptor_pb2.FileDescriptorProto(name='ghost_mm_mindspore_checkpoint.proto',
                                               package='ghost_mm_mindspore', syntax='proto2')
    tensor = proto.message_type.add(name='TensorProto')
    tensor.field.add(name='dims', number=1, label=field.LABEL_REPEATED, type=field.TYPE_INT64)
    tensor.field.add(name='tensor_type', number=2, label=field.LABEL_OPTIONAL,
                     type=field.TYPE_STRING)
    tensor.field.add(name='tensor_content', number=3, label=field.LABEL_OPTIONAL,
                     type=field.TYPE_BYTES)
    checkpoint = proto.message_type.add(name='Checkpoint')
    value = checkpoint.nested_type.add(name='Value')
    value.field.add(name='tag', number=1, label=field.LABEL_OPTIONAL, type=field.TYPE_STRING)
    value.field.add(name='tensor', number=2, label=field.LABEL_OPTIONAL,
                    type=field.TYPE_MESSAGE, type_name='.ghost_mm_mindspore.TensorProto')
    # field 3 (map tensors) is left undefined: kept as unknown, reported below
    checkpoint.field.add(name='value', number=1, label=field.LABEL_REPEATED,
                         type=field.TYPE_MESSAGE,
                         type_name='.ghost_mm_mindspore.Checkpoint.Value')
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    descriptor = pool.FindMessageTypeByName('ghost_mm_mindspore.Checkpoint')
    try:
        from google.protobuf.message_factory import GetMessageClass
        return GetMessageClass(descriptor)
    except ImportError:  # protobuf < 4
        from google.protobuf.message_factory import MessageFactory
        return MessageFactory(pool).GetPrototype(descriptor)


def read_mindspore_ckpt(path):
    """``{tag: numpy array}`` of a MindSpore ``.ckpt`` file (non-tensor
    entries, e.g. strings, are skipped)."""
    checkpoint = _message_class()()
    from google.protobuf.message import DecodeError
    with open(path, 'rb') as f:
        data = f.read()
    try:
        checkpoint.ParseFromString(data)
    except DecodeError as err:
        raise MindsporeCkptError(f'{path} could not be read as a MindSpore checkpoint '
                                 f'(truncated, corrupt or encrypted?): {err}') from None
    if not checkpoint.value:
        raise MindsporeCkptError(f'{path} holds no MindSpore checkpoint entries')
    parts, arrays = {}, {}
    for value in checkpoint.value:
        if not value.HasField('tensor'):
            continue  # a map tensor (embedding tables): no GhostNet weight is one
        tensor = value.tensor
        if tensor.tensor_type == 'str':
            continue  # metadata strings
        if tensor.tensor_type not in DTYPES:
            raise MindsporeCkptError(f'{path}: entry {value.tag!r} has tensor type '
                                     f'{tensor.tensor_type!r}; readable: {", ".join(DTYPES)}')
        parts.setdefault(value.tag, []).append(tensor)
    for tag, slices in parts.items():
        content = b''.join(s.tensor_content for s in slices)
        dims = [] if list(slices[0].dims) == [0] else list(slices[0].dims)
        dtype = np.dtype(DTYPES[slices[0].tensor_type]).newbyteorder('<')
        array = np.frombuffer(content, dtype)
        if array.size != int(np.prod(dims)):
            raise MindsporeCkptError(f'{path}: entry {tag!r} holds {array.size} values for '
                                     f'shape {dims} (truncated or corrupt?)')
        arrays[tag] = array.reshape(dims).astype(dtype.newbyteorder('='))
    return arrays

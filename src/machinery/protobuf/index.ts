// Kubernetes protobuf request bodies, read into the JSON objects they stand for.

export { formatGoDuration } from '../duration.js';
export {
  decodeKubernetesProtobuf,
  decodeProtobufMessage,
  isProtobufContentType,
  kubernetesProtobufSchema,
  PROTOBUF_CONTENT_TYPE,
} from './decode.js';
export { type Envelope, hasProtobufMagic, PROTOBUF_MAGIC, readEnvelope } from './envelope.js';
export {
  compileSchema,
  type FieldDescriptor,
  type KindRef,
  type MessageDescriptor,
  type MessageTable,
  type PackageTable,
  type ProtobufSchema,
  type ScalarType,
  type SpecialType,
} from './schema.js';
export { MalformedProtobufError, WireReader, WireType } from './wire.js';

export { Reader, ProtobufError, WireType, readRepeatedDouble, readRepeatedFixed64 } from './reader.ts';
export { Writer } from './writer.ts';

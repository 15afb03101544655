export { SnappyError, readSnappyHeader, snappyDecompress, type SnappyHeader } from './block.ts';
export { isFramedSnappy, snappyFramedDecompress } from './framed.ts';

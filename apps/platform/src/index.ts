export { startPlatform, type Platform } from './platform.ts';

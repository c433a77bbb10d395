export * from './client.js';
export * from './stack.js';
export * from './live.js';
export * from './faultLoad.js';
export * from './seedMenu.js';

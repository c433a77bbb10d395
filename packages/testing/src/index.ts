export * from './client.js';
export * from './stack.js';

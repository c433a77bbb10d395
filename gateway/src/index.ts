export { loadConfig, type GatewayConfig } from './config.js';
export { createGateway, type Gateway } from './gateway.js';

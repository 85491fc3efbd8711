export * from './errors';
export * from './tokens';
export * from './types';
export * from './rest';
export * from './gateway';
export * from './catchup';
export * from './files';
export * from './upload';

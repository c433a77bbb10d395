import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Top-level await (the config fetch before the first render) needs ES2022 modules.
    target: 'es2022',
    sourcemap: false,
  },
});

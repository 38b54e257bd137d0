import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { logger } from 'hono/logger';
import { orders } from './orders.js';

const app = new Hono();

app.use('*', logger());
app.get('/healthz', (c) => c.json({ status: 'ok' }));
app.route('/orders', orders);

const port = Number(process.env.PORT ?? 3000);

serve({ fetch: app.fetch, port }, (info) => {
  console.log(`api-node listening on :${info.port}`);
});

import { Hono } from 'hono';

// In-memory store; the real deployment sits behind the billing service.
const store = new Map();

export const orders = new Hono();

orders.get('/', (c) => c.json([...store.values()]));

orders.get('/:id', (c) => {
  const order = store.get(c.req.param('id'));
  return order ? c.json(order) : c.json({ error: 'order not found' }, 404);
});

orders.post('/', async (c) => {
  const body = await c.req.json();
  if (!Array.isArray(body.items) || body.items.length === 0) {
    return c.json({ error: 'items must be a non-empty array' }, 400);
  }
  const order = {
    id: crypto.randomUUID(),
    items: body.items,
    status: 'pending',
    createdAt: new Date().toISOString(),
  };
  store.set(order.id, order);
  return c.json(order, 201);
});

// Shows the live order count from the orders API.
const el = document.getElementById('order-count');

async function refresh() {
  try {
    const res = await fetch('/api/orders');
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const orders = await res.json();
    el.textContent = String(orders.length);
  } catch (err) {
    el.textContent = 'unavailable';
    console.warn('order count:', err);
  }
}

refresh();
setInterval(refresh, 30_000);

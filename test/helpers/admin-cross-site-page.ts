/**
 * A page on another origin (127.0.0.1, another port: same site, not same origin) that tries what any web page
 * the operator opens could try against the inbox: a "simple" no-cors POST (no preflight, text/plain), an HTML form
 * POST, and a JSON POST (which needs a preflight). Each outcome lands in the page's #result list.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CrossSitePage {
  url: string;
  close(): Promise<void>;
}

export async function startCrossSitePage(target: string): Promise<CrossSitePage> {
  const html = `<!doctype html><title>not the inbox</title><ul id="result"></ul>
<form id="form" method="post" action="${target}" enctype="text/plain" target="sink"><input name="{}" value=""></form>
<iframe name="sink"></iframe>
<script>
const note = (text) => { const li = document.createElement('li'); li.textContent = text; document.getElementById('result').append(li); };
fetch(${JSON.stringify(target)}, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{}' })
  .then(() => note('no-cors sent'), () => note('no-cors failed'))
  .then(() => fetch(${JSON.stringify(target)}, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }))
  .then(() => note('json answered'), () => note('json blocked'))
  .then(() => { document.querySelector('iframe').addEventListener('load', () => note('form sent')); document.getElementById('form').submit(); });
</script>`;
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

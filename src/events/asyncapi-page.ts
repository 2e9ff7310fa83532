/**
 * The AsyncAPI document as a plain HTML page (GET /asyncapi): channels, their messages with key,
 * headers, payload schema and example. Generated on the server from the same document as
 * /asyncapi.json, with no script and no style, so it needs nothing from a CDN and passes the API's
 * Content-Security-Policy (default-src 'none') as it is.
 */
type Doc = {
  info: { title: string; version: string; description: string };
  channels: Record<string, { address: string; description: string; messages: Record<string, { $ref: string }> }>;
  components: { messages: Record<string, Message>; schemas: Record<string, unknown> };
};
type Message = { summary: string; bindings: { kafka: { key: { description: string } } }; payload: { $ref: string }; examples: Array<{ headers: unknown; payload: unknown }> };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const pre = (v: unknown) => `<pre>${esc(JSON.stringify(v, null, 2))}</pre>`;
const refName = (ref: string) => ref.split('/').pop()!;

export function renderAsyncApiPage(document: Record<string, unknown>): string {
  const doc = document as unknown as Doc;
  const channelList = Object.entries(doc.channels)
    .map(([id, ch]) => `<li><a href="#channel-${esc(id)}"><code>${esc(ch.address)}</code></a> (${Object.keys(ch.messages).length} messages)</li>`)
    .join('\n');
  const channels = Object.entries(doc.channels)
    .map(([id, ch]) => {
      const messages = Object.values(ch.messages)
        .map(({ $ref }) => {
          const name = refName($ref);
          const m = doc.components.messages[name]!;
          const envelope = doc.components.schemas[refName(m.payload.$ref)];
          const payload = doc.components.schemas[`${name}Payload`];
          return `<section id="message-${esc(name)}">
<h3>${esc(name)}</h3>
<p>${esc(m.summary)}. Key: ${esc(m.bindings.kafka.key.description)}. Headers: <code>event-id</code>, <code>event-type</code>.</p>
<details><summary>Payload schema</summary>${pre(payload)}</details>
<details><summary>Envelope schema</summary>${pre(envelope)}</details>
<details open><summary>Example</summary>${pre(m.examples[0]?.payload)}</details>
</section>`;
        })
        .join('\n');
      return `<section id="channel-${esc(id)}">
<h2>Channel <code>${esc(ch.address)}</code></h2>
<p>${esc(ch.description)}</p>
${messages}
</section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.info.title)}</title>
</head>
<body>
<header>
<h1>${esc(doc.info.title)} <small>${esc(doc.info.version)}</small></h1>
<p>${esc(doc.info.description)}</p>
<p>Machine-readable: <a href="/asyncapi.json">/asyncapi.json</a> (AsyncAPI 3.0). REST API: <a href="/docs">/docs</a>.</p>
</header>
<nav><h2>Channels (Kafka topics)</h2><ul>
${channelList}
</ul></nav>
<main>
${channels}
</main>
</body>
</html>
`;
}

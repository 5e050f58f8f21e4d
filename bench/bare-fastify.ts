/** The baseline for bench:api: a bare Fastify route that parses the same JSON body and replies 201 with an id. */
import Fastify from 'fastify';
import { ulid } from 'ulid';

const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 });
app.post('/bare', async (_request, reply) => {
  void reply.code(201);
  return { id: ulid() };
});
app.get('/bare/:id', async (request) => ({ id: (request.params as { id: string }).id }));
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` })}\n`);

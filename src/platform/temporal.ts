import { Client, Connection } from '@temporalio/client';

export async function createTemporalClient(opts: { address: string; namespace: string }): Promise<Client> {
  const connection = await Connection.connect({ address: opts.address, connectTimeout: '5s' });
  return new Client({ connection, namespace: opts.namespace });
}

import { Client, Connection } from '@temporalio/client';
import { encryptedDataConverter } from './temporal-codec.js';

/**
 * A Temporal client whose payloads are encrypted (AesGcmPayloadCodec): the key is required so no
 * process can start workflows with plaintext inputs by forgetting it. Workers use the same codec.
 */
export async function createTemporalClient(opts: { address: string; namespace: string; dataEncryptionKey: string; previousDataEncryptionKey?: string | undefined }): Promise<Client> {
  const connection = await Connection.connect({ address: opts.address, connectTimeout: '5s' });
  return new Client({ connection, namespace: opts.namespace, dataConverter: encryptedDataConverter(opts.dataEncryptionKey, opts.previousDataEncryptionKey) });
}

import { describe, expect, it } from 'vitest';
import { ApiError } from '../../machinery/status.js';
import { OpenAPIDocumentSet } from './document.js';
import { servedResource } from './operations.js';
import { negotiateV2, serveOpenAPI } from './serve.js';
import { OPENAPI_V2_PROTOBUF } from './v2-protobuf.js';

const set = new OpenAPIDocumentSet([
  servedResource({
    group: 'apps',
    version: 'v1',
    resource: 'deployments',
    kind: 'Deployment',
    namespaced: true,
    verbs: ['get', 'list', 'patch'],
  }),
]);
const options = { serverVersion: 'v1.33.0' };
const CLIENT_GO_V2_ACCEPT = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

describe('serveOpenAPI', () => {
  it('answers /openapi/v3 and the group/version documents as JSON', () => {
    const root = serveOpenAPI(set, '/openapi/v3', options)!;
    expect(root.contentType).toBe('application/json');
    expect(root.body).toEqual({
      paths: {
        'apis/apps/v1': { serverRelativeURL: expect.stringMatching(/^\/openapi\/v3\/apis\/apps\/v1\?hash=/) },
      },
    });
    const gv = serveOpenAPI(set, '/openapi/v3/apis/apps/v1', options)!;
    expect(gv.etag).toBe(set.groupVersion('apis/apps/v1')!.etag);
    expect((gv.body as { openapi: string }).openapi).toBe('3.0.0');
    expect(serveOpenAPI(set, '/openapi/v3/apis/apps/v1/', options)!.etag).toBe(gv.etag);
  });

  it('answers nothing for documents that do not exist', () => {
    expect(serveOpenAPI(set, '/openapi/v3/apis/batch/v1', options)).toBeUndefined();
    expect(serveOpenAPI(set, '/openapi/v4', options)).toBeUndefined();
  });

  it('answers /openapi/v2 as protobuf to client-go and as JSON otherwise', () => {
    const pb = serveOpenAPI(set, '/openapi/v2', { ...options, accept: CLIENT_GO_V2_ACCEPT })!;
    expect(pb.contentType).toBe(OPENAPI_V2_PROTOBUF);
    expect(pb.body).toBeInstanceOf(Uint8Array);
    // Go's mime parser, which client-go runs on the answer, refuses an '@' in a media type.
    expect(pb.contentType).not.toContain('@');
    const json = serveOpenAPI(set, '/openapi/v2', options)!;
    expect(json.contentType).toBe('application/json');
    expect((json.body as { swagger: string }).swagger).toBe('2.0');
    expect(json.etag).not.toBe(pb.etag);
    expect(serveOpenAPI(set, '/openapi/v2', { ...options, accept: CLIENT_GO_V2_ACCEPT })!.body).toBe(pb.body);
  });

  it('refuses a v2 representation it cannot give with 406', () => {
    try {
      serveOpenAPI(set, '/openapi/v2', { ...options, accept: 'text/html' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe(406);
    }
  });
});

describe('negotiateV2', () => {
  it('takes the first acceptable clause by quality', () => {
    expect(negotiateV2(undefined)).toBe('json');
    expect(negotiateV2('*/*')).toBe('json');
    expect(negotiateV2(CLIENT_GO_V2_ACCEPT)).toBe('protobuf');
    expect(negotiateV2(OPENAPI_V2_PROTOBUF)).toBe('protobuf');
    expect(negotiateV2(`application/json;q=0.5, ${CLIENT_GO_V2_ACCEPT}`)).toBe('protobuf');
    expect(negotiateV2(`${CLIENT_GO_V2_ACCEPT};q=0, application/json`)).toBe('json');
    expect(negotiateV2('text/plain')).toBeUndefined();
  });
});

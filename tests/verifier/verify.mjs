// Test-only: verifies a credential localfn signed with the W3C / Digital Bazaar JavaScript stack,
// offline. Usage: node verify.mjs CREDENTIAL.json CONTEXTS_DIR (localfn's assets/specs).
// Prints the library's verdict as JSON ({verified, error}) and exits 0 only when verified.
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {isDeepStrictEqual} from 'node:util';

import {contexts as credentialsContexts} from '@digitalbazaar/credentials-context';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import multikeyContext from '@digitalbazaar/multikey-context';
import * as vc from '@digitalbazaar/vc';
import didContext from 'did-context';

const [credentialPath, specs] = process.argv.slice(2);
const readJson = path => JSON.parse(readFileSync(path, 'utf8'));

// The contexts localfn ships, read from its own copies; the W3C one must equal Digital Bazaar's copy.
const shipped = new Map([
  ['https://www.w3.org/ns/credentials/v2', readJson(join(specs, 'w3c/credentials-v2.jsonld'))],
  ['https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
    readJson(join(specs, 'openbadges-3.0/context-3.0.3.json'))],
]);
for(const [url, context] of shipped) {
  if(credentialsContexts.has(url) && !isDeepStrictEqual(credentialsContexts.get(url), context)) {
    throw new Error(`localfn's copy of ${url} differs from @digitalbazaar/credentials-context's`);
  }
}
const known = new Map([...shipped, ...didContext.contexts, ...multikeyContext.contexts]);

// did:key resolution, offline: the DID document of an Ed25519 Multikey (the key itself is decoded
// by @digitalbazaar/ed25519-multikey when the cryptosuite builds its verifier).
function didKeyDocument(url) {
  const [did, fragment] = url.split('#');
  const multibase = did.slice('did:key:'.length);
  const method = {id: `${did}#${multibase}`, type: 'Multikey', controller: did, publicKeyMultibase: multibase};
  if(fragment !== undefined) {
    if(fragment !== multibase) {
      throw new Error(`${url}: no such verification method`);
    }
    return {'@context': multikeyContext.CONTEXT_URL, ...method};
  }
  return {
    '@context': [didContext.CONTEXT_URL, multikeyContext.CONTEXT_URL],
    id: did,
    verificationMethod: [method],
    assertionMethod: [method.id],
    authentication: [method.id],
  };
}

async function documentLoader(url) {
  if(url.startsWith('did:key:z6Mk')) {
    return {contextUrl: null, documentUrl: url, document: didKeyDocument(url)};
  }
  if(known.has(url)) {
    return {contextUrl: null, documentUrl: url, document: known.get(url)};
  }
  throw new Error(`refusing to load ${url}: this verifier works offline`);
}

const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
const result = await vc.verifyCredential({credential: readJson(credentialPath), suite, documentLoader});
const error = result.error ? String(result.error.errors ?? result.error.message ?? result.error) : null;
console.log(JSON.stringify({verified: result.verified, error}));
process.exit(result.verified ? 0 : 1);

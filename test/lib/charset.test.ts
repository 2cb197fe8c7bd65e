/** The character-class checks of the hot path (`lib/charset.ts`): base64url, b64token, the compact JWS shape. */
import test from 'ava';

test('charset checks: base64url and b64token, including non-ASCII look-alikes', async (t) => {
  const { isBase64Url, isB64Token } = await import('../../packages/core/dist/lib/charset.js');
  t.true(isBase64Url('abcXYZ019-_'));
  for (const bad of ['', 'a=b', 'a+b', 'a/b', 'a.b', 'a b', 'ａ', 'a\u0000']) t.false(isBase64Url(bad), JSON.stringify(bad));
  for (const good of ['a', 'a.b~c+d/e-f_g', 'abc==', 'a=']) t.true(isB64Token(good), good);
  for (const bad of ['', '=', '==', 'a=b', '=a', 'a b', 'a,b', 'a"b', 'ä', 'a\tb']) t.false(isB64Token(bad), JSON.stringify(bad));
});

test('checkTokenSyntax: compact JWS shape, other b64token, or 400', async (t) => {
  const { checkTokenSyntax } = await import('../../packages/core/dist/lib/charset.js');
  for (const jws of ['a.b.c', 'eyJ-_.x_-.', 'A.B.C0-_']) t.true(checkTokenSyntax(jws), jws);
  for (const other of ['opaque', 'a.b', 'a.b.c.d', 'a.b.c=', 'a+b.c.d', 'a..c', '.b.c', 'a.b~.c']) t.false(checkTokenSyntax(other), other);
  for (const bad of ['a.b.c$', 'a b', 'ä.b.c', 'a.b.c\u0000']) {
    t.is(t.throws(() => checkTokenSyntax(bad))?.message, 'The access token has characters outside the b64token set');
  }
});

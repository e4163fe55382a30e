/**
 * A rotation Lambda in moto. moto's RotateSecret with a Lambda ARN requires the function to
 * exist in its Lambda backend and invokes it; with `use_docker: false` an invocation is a
 * no-op that answers "OK", so RotateSecret records the rotation without running any code.
 * What a real rotation function does (a new version, then the AWSCURRENT move) the tests
 * do themselves with PutSecretValue and UpdateSecretVersionStage.
 *
 * The test repo has no Lambda or IAM SDK client: the two calls are made by hand. moto does
 * not check signatures; it routes a query-protocol call by the service in the credential
 * scope of the Authorization header, which is why that header is set.
 */
const FAKE_AUTH = (service: string) =>
  `AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`;

/** An empty zip archive (end-of-central-directory record only): moto stores the code without running it. */
const EMPTY_ZIP = Buffer.from([0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)]).toString("base64");

export async function createRotationLambda(motoEndpoint: string, name: string): Promise<string> {
  await expectOk(
    fetch(`${motoEndpoint}/moto-api/config`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ lambda: { use_docker: false } }),
    }),
    "moto config",
  );
  const trust = JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
    ],
  });
  const roleXml = await expectOk(
    fetch(`${motoEndpoint}/`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: FAKE_AUTH("iam") },
      body: new URLSearchParams({
        Action: "CreateRole",
        Version: "2010-05-08",
        RoleName: name,
        AssumeRolePolicyDocument: trust,
      }).toString(),
    }),
    "IAM CreateRole",
  );
  const role = /<Arn>([^<]+)<\/Arn>/.exec(roleXml)?.[1];
  if (!role) throw new Error(`IAM CreateRole returned no ARN: ${roleXml}`);
  const fn = await expectOk(
    fetch(`${motoEndpoint}/2015-03-31/functions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: FAKE_AUTH("lambda") },
      body: JSON.stringify({
        FunctionName: name,
        Runtime: "python3.12",
        Role: role,
        Handler: "index.handler",
        Code: { ZipFile: EMPTY_ZIP },
      }),
    }),
    "Lambda CreateFunction",
  );
  return (JSON.parse(fn) as { FunctionArn: string }).FunctionArn;
}

async function expectOk(response: Promise<Response>, what: string): Promise<string> {
  const res = await response;
  const body = await res.text();
  if (!res.ok) throw new Error(`${what} failed with ${res.status}: ${body}`);
  return body;
}

// Preloaded with NODE_OPTIONS="--require <this file>" into the processes a test starts
// (the Pulumi program, the provider): a resolver that knows only loopback names, as on a
// machine without a network. A test can then show what a user sees when a host name does
// not resolve (a misspelt region's endpoint) without a lookup or a packet leaving the host.
const dns = require("node:dns");
const net = require("node:net");

const LOOPBACK_NAMES = new Set(["localhost", "localhost.localdomain"]);
const systemLookup = dns.lookup;

dns.lookup = function offlineLookup(hostname, ...rest) {
  if (LOOPBACK_NAMES.has(hostname) || net.isIP(hostname)) return systemLookup.call(this, hostname, ...rest);
  const done = rest.find((arg) => typeof arg === "function");
  // What getaddrinfo reports for a name that does not exist.
  const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
    errno: -3008,
    code: "ENOTFOUND",
    syscall: "getaddrinfo",
    hostname,
  });
  process.nextTick(done, error);
};

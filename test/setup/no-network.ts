import nock from 'nock';

// The default suite never touches the network: only loopback is allowed, so the
// media path can be tested against real local HTTP servers.
nock.disableNetConnect();
nock.enableNetConnect((host) => /^(127\.\d+\.\d+\.\d+|localhost|\[::1\]|::1)(:\d+)?$/.test(host));

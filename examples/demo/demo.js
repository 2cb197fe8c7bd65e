// The demo (issue 5) lands here: a real authorization server, both sample APIs and a client walking every flow.
console.log('resource-guard demo: coming soon (see README.md)');

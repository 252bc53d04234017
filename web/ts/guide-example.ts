import { ack, connect, createChannel, post } from "./tincan.js";

const api = connect("http://localhost:8080");
const { port1, port2 } = await createChannel(api);
await post(api, port1, { hello: "world" });

// The generated client itself: paths, parameters, bodies and answers are
// typed from api/openapi.yaml.
const { data, error } = await api.GET("/ports/{id}/messages", {
  params: { path: { id: port2.id }, query: { wait: 5 } },
  headers: { Authorization: `Bearer ${port2.token}` },
});
if (error) throw new Error(`${error.code}: ${error.detail}`);
console.log(data.messages.map((m) => m.data)); // [ { hello: 'world' } ]
await ack(api, port2, data.next);

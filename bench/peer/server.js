// The yardstick of bench/confirm_load.sh (issue 15): what a merchant deploys without payedge.
// Shaped like Toss's official Express sample server
// (https://github.com/tosspayments/tosspayments-sample, express-javascript/server.js): a POST
// handler takes paymentKey, orderId and amount from the JSON body, calls
// POST {Toss}/v1/payments/confirm with `fetch` and Basic base64(secretKey + ":")
// (https://docs.tosspayments.com/reference/using-api/authorization), logs the answer and sends
// it back with Toss's status. Like the sample it validates nothing, looks up no price, writes
// no database and keeps no idempotency record; unlike the sample it logs one line per confirm
// instead of the whole Payment object. Loopback only: TOSS_URL is the simulator.
//   TOSS_URL=http://127.0.0.1:PORT TOSS_SECRET_KEY=... node server.js
// prints "listening on 127.0.0.1:PORT" on stderr (PORT=0, the default, picks a free port).
"use strict";
const express = require("express");

const tossUrl = process.env.TOSS_URL || "http://127.0.0.1:8081";
const authorization =
  "Basic " + Buffer.from((process.env.TOSS_SECRET_KEY || "") + ":").toString("base64");

const app = express();
app.use(express.json());

app.post("/confirm", async (req, res) => {
  const { paymentKey, orderId, amount } = req.body;
  try {
    const answer = await fetch(tossUrl + "/v1/payments/confirm", {
      method: "POST",
      headers: { Authorization: authorization, "Content-Type": "application/json" },
      body: JSON.stringify({ paymentKey, orderId, amount }),
    });
    const payment = await answer.json();
    console.log(JSON.stringify({ orderId, status: answer.status, code: payment.code || null }));
    res.status(answer.status).json(payment);
  } catch (err) {
    console.log(JSON.stringify({ orderId, status: 502, error: String(err) }));
    res.status(502).json({ code: "UPSTREAM_UNREACHABLE", message: String(err) });
  }
});

const server = app.listen(Number(process.env.PORT || 0), "127.0.0.1", () => {
  const { address, port } = server.address();
  console.error(`listening on ${address}:${port}`);
});
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));

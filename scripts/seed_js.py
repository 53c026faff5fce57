"""Writes an HTML page that runs the product document's JavaScript ChatClient,
unchanged, against a gateway: the class is taken verbatim from the seed's
JavaScript example (everything before its usage example) and driven by a
small harness that calls connectWithToken(token) and
connectAndLogin('user123', 'password123').

usage: seed_js.py SEED_MD WS_URL TOKEN > page.html
"""
import json
import re
import sys

md, url, token = sys.argv[1:4]
text = open(md, encoding="utf-8").read()
block = re.search(r"### JavaScript/Web客户端\s*```javascript\n(.*?)```", text, re.S).group(1)
client = block.split("// 使用示例")[0]
print(f"""<!doctype html><meta charset="utf-8"><title>seed js client</title>
<script>
{client}
const withToken = new ChatClient({json.dumps(url)});
withToken.connectWithToken({json.dumps(token)});
const withLogin = new ChatClient({json.dumps(url)});
withLogin.connectAndLogin('user123', 'password123');
// The harness watches the raw replies too (the class prints only objects).
withLogin.ws.addEventListener('message', (e) => console.log('raw reply ' + e.data));
</script>""")

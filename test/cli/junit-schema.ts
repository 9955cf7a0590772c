/**
 * A structural validator for JUnit XML following the Jenkins/Ant schema that
 * CI systems read: jenkinsci/xunit-plugin junit-10.xsd (MIT; not vendored here,
 * its rules are restated below). It parses the XML (elements, attributes,
 * text, entities) and checks element nesting, required attributes, unknown
 * attributes and the SUREFIRE_TIME pattern of `time`.
 */
export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  text: string;
}

/** A small XML parser for the subset JUnit files use; throws on malformed input. */
export function parseXml(xml: string): XmlElement {
  let i = 0;
  const fail = (msg: string): never => {
    throw new Error(`XML: ${msg} at offset ${i}`);
  };
  const decode = (s: string) => {
    if (/&(?!(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)/.test(s))
      fail(`bad entity in ${JSON.stringify(s.slice(0, 40))}`);
    return s
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, '&');
  };
  const skipWs = () => {
    while (/\s/.test(xml[i] ?? '')) i++;
  };
  if (xml.startsWith('<?xml')) i = xml.indexOf('?>') + 2;
  skipWs();
  const element = (): XmlElement => {
    if (xml[i] !== '<') fail('expected <');
    i++;
    const name = /^[A-Za-z_][\w.-]*/.exec(xml.slice(i))?.[0] ?? fail('expected an element name');
    i += name.length;
    const attrs: Record<string, string> = {};
    for (;;) {
      skipWs();
      if (xml.startsWith('/>', i)) {
        i += 2;
        return { name, attrs, children: [], text: '' };
      }
      if (xml[i] === '>') {
        i++;
        break;
      }
      const m = /^([A-Za-z_][\w.:-]*)="([^"<]*)"/.exec(xml.slice(i)) ?? fail(`bad attribute in <${name}>`);
      if (m[1]! in attrs) fail(`attribute ${m[1]} twice`);
      attrs[m[1]!] = decode(m[2]!);
      i += m[0].length;
    }
    const el: XmlElement = { name, attrs, children: [], text: '' };
    for (;;) {
      const lt = xml.indexOf('<', i);
      if (lt < 0) fail(`unclosed <${name}>`);
      el.text += decode(xml.slice(i, lt));
      i = lt;
      if (xml.startsWith(`</${name}>`, i)) {
        i += name.length + 3;
        return el;
      }
      if (xml.startsWith('</', i)) fail(`mismatched close tag, expected </${name}>`);
      el.children.push(element());
    }
  };
  const root = element();
  skipWs();
  if (i !== xml.length) fail('content after the root element');
  return root;
}

const TIME = /^(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?$/;
const RULES: Record<string, { required: string[]; optional: string[]; children: string[]; text: boolean }> = {
  testsuites: {
    required: [],
    optional: ['name', 'time', 'tests', 'failures', 'errors'],
    children: ['testsuite'],
    text: false,
  },
  testsuite: {
    required: ['name', 'tests', 'failures', 'errors'],
    optional: ['group', 'time', 'skipped', 'timestamp', 'hostname', 'id', 'package', 'file', 'log', 'url'],
    children: ['testsuite', 'properties', 'testcase', 'system-out', 'system-err'],
    text: false,
  },
  properties: { required: [], optional: [], children: ['property'], text: false },
  property: { required: ['name', 'value'], optional: [], children: [], text: false },
  testcase: {
    required: ['name'],
    optional: ['time', 'classname', 'group'],
    children: [
      'skipped',
      'error',
      'failure',
      'rerunFailure',
      'rerunError',
      'flakyFailure',
      'flakyError',
      'system-out',
      'system-err',
    ],
    text: false,
  },
  failure: { required: [], optional: ['type', 'message'], children: [], text: true },
  error: { required: [], optional: ['type', 'message'], children: [], text: true },
  skipped: { required: [], optional: ['type', 'message'], children: [], text: true },
  'system-out': { required: [], optional: [], children: [], text: true },
  'system-err': { required: [], optional: [], children: [], text: true },
};

/** Problems with a JUnit document against junit-10.xsd, as `path: message`; empty when valid. */
export function junitProblems(xml: string): string[] {
  const out: string[] = [];
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (e) {
    return [(e as Error).message];
  }
  if (root.name !== 'testsuites' && root.name !== 'testsuite') out.push(`root element is <${root.name}>`);
  const visit = (el: XmlElement, path: string) => {
    const r = RULES[el.name];
    if (!r) {
      out.push(`${path}: element <${el.name}> is not in the schema`);
      return;
    }
    for (const a of r.required) if (!(a in el.attrs)) out.push(`${path}: missing required attribute ${a}`);
    for (const a of Object.keys(el.attrs))
      if (!r.required.includes(a) && !r.optional.includes(a)) out.push(`${path}: attribute ${a} is not allowed`);
    if ('time' in el.attrs && (el.name === 'testsuite' || el.name === 'testsuites') && !TIME.test(el.attrs.time!))
      out.push(`${path}: time '${el.attrs.time}' is not a SUREFIRE_TIME`);
    if (!r.text && el.text.trim() !== '') out.push(`${path}: text is not allowed in <${el.name}>`);
    el.children.forEach((c, k) => {
      if (!r.children.includes(c.name)) out.push(`${path}: <${c.name}> is not allowed inside <${el.name}>`);
      visit(c, `${path}/${c.name}[${k}]`);
    });
  };
  visit(root, root.name);
  return out;
}

// How a far end is written on screen: "sip:911@lifeline.lab" on the agent's own domain reads "911",
// "tel:+15550100" reads "+15550100"; anything else (other domains, urn:service:sos) is shown as it is.

export function displayRemote(remote: string, ownDomain: string | null | undefined): string {
  const text = remote.trim();
  const tel = /^tel:([^;]+)/i.exec(text);
  if (tel?.[1]) return tel[1];
  const sip = /^sips?:([^@;]+)@([^;>:]+)/i.exec(text);
  if (sip?.[1] && sip[2] && ownDomain && sip[2].toLowerCase() === ownDomain.toLowerCase()) return sip[1];
  return text;
}

// The messages the HL7 benchmarks send: an ORU^R01 (a chest CT report for one of 5,000 patients, every identifier
// new per call) and an ADT^A08 that repeats one patient and visit unchanged.
let seq = 0;

/** A final ORU^R01 (v2.5.1) with a new control id, placer/filler numbers, accession and study UID each call. */
export function oruR01(): string {
  const id = `B${process.pid}${(seq++).toString(36)}`;
  return (
    `MSH|^~\\&|RIS|GENHOSP|CTFHIR|CTF|20240315101500||ORU^R01|${id}|P|2.5.1\r` +
    `PID|1||MRN${seq % 5000}^^^GENHOSP^MR||DOE^JANE||19600412|F\r` +
    `PV1|1|O|RAD^CT1||||||||||||||||V${seq}^^^GENHOSP^VN\r` +
    `ORC|RE|PL${seq}|FI${seq}||CM\r` +
    `OBR|1|PL${seq}|FI${seq}|24627-2^CT Chest^LN|||20240315093000|||||||||||ACC${seq}||||20240315101000||CT|F\r` +
    `ZDS|1.2.840.113619.2.55.3.${seq}^RIS^Application^DICOM\r` +
    `OBX|1|TX|18782-3^Findings^LN||FINDINGS: Small right pleural effusion.\\.br\\Nodule 6 mm in the right upper lobe.||||||F\r` +
    `OBX|2|TX|19005-8^Impression^LN||IMPRESSION: Right pleural effusion.||||||F`
  );
}

/** The same ADT^A08 (one patient, one visit, nothing changed) with a new control id each call. */
export function adtA08Repeated(): string {
  return (
    `MSH|^~\\&|ADT|GENHOSP|CTFHIR|CTF|20240320070000||ADT^A08^ADT_A01|A${process.pid}${(seq++).toString(36)}|P|2.5.1\r` +
    `EVN|A08|20240320070000\r` +
    `PID|1||MRN900^^^GENHOSP^MR||O'BRIEN^SEAN^P||19801231|M|||1 HIGH ST^^DUBLIN^^D01^IE||^PRN^PH^^^555^1234567\r` +
    `PV1|1|E|ER^1^1||||||||||||||||V0009^^^GENHOSP^VN|||||||||||||||||||||||||20240320065500`
  );
}

// A first Node.js function: counts the words of the event's text.
exports.handler = async (event, context) => {
  const text = (event && event.text) || "";
  const words = text.split(/\s+/).filter(Boolean).length;
  console.log(`counting ${words} words for ${context.awsRequestId}`);
  return { words, node: process.version, function: context.functionName };
};

/** Not a valid entry: a bad id and no fineTune. */
export default { id: 'Bad_Id', title: 'Malformed', description: 'x', config: {} };
